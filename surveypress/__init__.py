"""surveypress: turns one statistical survey into an open-data publication.

The engine is generic: everything about a particular survey lives in its content folder.
"""

__version__ = "0.1.0"
