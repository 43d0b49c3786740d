"""``python -m synth.cli``: the same as the ``synth`` command."""

from synth.cli import main

if __name__ == "__main__":
    main()
