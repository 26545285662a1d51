"""Plumbing shared by every app, below all of them (as NetBox keeps its utilities/)."""
