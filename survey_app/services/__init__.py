"""Application services: the layer between views/CLI and the database and core."""
