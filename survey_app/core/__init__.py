"""The pure core: instrument model and validation, scoring, agreement, profile, comparison,
anonymity rules. Imports no Flask, SQLAlchemy or WTForms and does no I/O."""
