"""What a build writes: the output layout, staging and publishing, the data package, workbook and metadata."""
