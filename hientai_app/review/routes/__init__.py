"""The review app's pages, one module per concept; each route declares the roles it admits."""
