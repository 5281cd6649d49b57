"""The review app's pages, one module per concept; each route declares the roles it admits.
Handlers are plain functions: FastAPI runs them on its thread pool, so a page waiting on the
database or hashing a password never holds up the others."""
