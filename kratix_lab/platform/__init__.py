"""The embedded lab: a faithful local model of the platform (store, clock, controllers, faults)."""
