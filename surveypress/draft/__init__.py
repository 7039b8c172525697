"""`surveypress init`: a content folder and project drafted from a survey file."""
