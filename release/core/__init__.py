"""The pure core: the release process as data and functions. No I/O, no clock, no environment."""
