"""The release report page in HTML, one module per section plus shared building blocks.

Every value is escaped; nothing here reads data. ``synth.report.html`` assembles the page.
"""
