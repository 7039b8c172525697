"""The pages: the content folder's templates rendered with values from the tables."""
