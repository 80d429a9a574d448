"""The curated pathway knowledge base: entries, loading, search and feedback."""
