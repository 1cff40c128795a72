"""The simulation engine: connectome, models, couplings, integrators, noise, monitors, kernel."""
