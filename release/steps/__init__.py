"""The steps of a release (name, describe, probe, apply, verify); `pipeline` lists them in order."""
