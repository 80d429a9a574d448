"""Everything that turns domain values into Discord messages, views and modals."""
