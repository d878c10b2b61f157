"""medcards ingest for PDF, HTML and DOCX guides."""
