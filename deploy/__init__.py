"""Sending compatible model versions to devices and recording what runs where."""
