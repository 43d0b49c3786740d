"""Public list of country names: ISO 3166-1 short names in common English, former states
that census and survey files still code, and the usual variants (``USA``, ``Viet Nam``,
``Holland``). A country column is drafted with these as *candidate* categories
(:func:`privacy.vocabularies.candidate_vocabulary`): the fit counts each under DP and keeps
the ones that hold rows, and finds any other value by partition selection.

>>> len(COUNTRIES) > 250, "Germany" in COUNTRIES, "Viet Nam" in COUNTRIES
(True, True, True)
"""

from __future__ import annotations

_ISO = (
    "Afghanistan|Aland Islands|Albania|Algeria|American Samoa|Andorra|Angola|Anguilla|"
    "Antarctica|Antigua and Barbuda|Argentina|Armenia|Aruba|Australia|Austria|Azerbaijan|"
    "Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bermuda|Bhutan|"
    "Bolivia|Bonaire|Bosnia and Herzegovina|Botswana|Bouvet Island|Brazil|"
    "British Indian Ocean Territory|British Virgin Islands|Brunei|Bulgaria|Burkina Faso|"
    "Burundi|Cabo Verde|Cambodia|Cameroon|Canada|Cayman Islands|Central African Republic|"
    "Chad|Chile|China|Christmas Island|Cocos Islands|Colombia|Comoros|Congo|Cook Islands|"
    "Costa Rica|Cote d'Ivoire|Croatia|Cuba|Curacao|Cyprus|Czechia|"
    "Democratic Republic of the Congo|Denmark|Djibouti|Dominica|Dominican Republic|"
    "Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Ethiopia|"
    "Falkland Islands|Faroe Islands|Fiji|Finland|France|French Guiana|French Polynesia|"
    "French Southern Territories|Gabon|Gambia|Georgia|Germany|Ghana|Gibraltar|Greece|"
    "Greenland|Grenada|Guadeloupe|Guam|Guatemala|Guernsey|Guinea|Guinea-Bissau|Guyana|"
    "Haiti|Heard Island and McDonald Islands|Holy See|Honduras|Hong Kong|Hungary|Iceland|"
    "India|Indonesia|Iran|Iraq|Ireland|Isle of Man|Israel|Italy|Jamaica|Japan|Jersey|"
    "Jordan|Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|"
    "Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Macao|Madagascar|Malawi|"
    "Malaysia|Maldives|Mali|Malta|Marshall Islands|Martinique|Mauritania|Mauritius|"
    "Mayotte|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|Montserrat|Morocco|"
    "Mozambique|Myanmar|Namibia|Nauru|Nepal|Netherlands|New Caledonia|New Zealand|"
    "Nicaragua|Niger|Nigeria|Niue|Norfolk Island|North Korea|North Macedonia|"
    "Northern Mariana Islands|Norway|Oman|Pakistan|Palau|Palestine|Panama|"
    "Papua New Guinea|Paraguay|Peru|Philippines|Pitcairn|Poland|Portugal|Puerto Rico|"
    "Qatar|Reunion|Romania|Russia|Rwanda|Saint Barthelemy|Saint Helena|"
    "Saint Kitts and Nevis|Saint Lucia|Saint Martin|Saint Pierre and Miquelon|"
    "Saint Vincent and the Grenadines|Samoa|San Marino|Sao Tome and Principe|"
    "Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Sint Maarten|Slovakia|"
    "Slovenia|Solomon Islands|Somalia|South Africa|"
    "South Georgia and the South Sandwich Islands|South Korea|South Sudan|Spain|"
    "Sri Lanka|Sudan|Suriname|Svalbard and Jan Mayen|Sweden|Switzerland|Syria|Taiwan|"
    "Tajikistan|Tanzania|Thailand|Timor-Leste|Togo|Tokelau|Tonga|Trinidad and Tobago|"
    "Tunisia|Turkey|Turkmenistan|Turks and Caicos Islands|Tuvalu|Uganda|Ukraine|"
    "United Arab Emirates|United Kingdom|United States|"
    "United States Minor Outlying Islands|Uruguay|US Virgin Islands|Uzbekistan|Vanuatu|"
    "Venezuela|Vietnam|Wallis and Futuna|Western Sahara|Yemen|Zambia|Zimbabwe"
)
#: former states and the spellings census, survey and registry files use beside ISO's
_VARIANTS = (
    "USA|US|United States of America|UK|Great Britain|Britain|England|Scotland|"
    "Wales|Northern Ireland|Holland|Korea|Republic of Korea|Viet Nam|Burma|Ivory Coast|"
    "Czech Republic|Czechoslovakia|Yugoslavia|USSR|Soviet Union|East Germany|"
    "West Germany|Russian Federation|Iran Islamic Republic of|Lao PDR|Macau|Macedonia|"
    "Swaziland|Cape Verde|Turkiye|Vatican|Vatican City|Brunei Darussalam|Syrian Arab Republic|"
    "Micronesia Federated States of|Moldova Republic of|Tanzania United Republic of|"
    "Bolivia Plurinational State of|Venezuela Bolivarian Republic of|Congo Kinshasa|"
    "Congo Brazzaville|DR Congo|DRC|UAE|PRC|Mainland China|Taiwan Province of China|"
    "Hong Kong SAR|Macao SAR|Virgin Islands|Azores|Canary Islands|West Indies|"
    "Palestinian Territories|Zaire|Rhodesia|Ceylon|Siam|Persia|"
    "East Timor|Kampuchea|Dahomey|Upper Volta|Serbia and Montenegro"
)
COUNTRIES: tuple[str, ...] = tuple(dict.fromkeys((*_ISO.split("|"), *_VARIANTS.split("|"))))
