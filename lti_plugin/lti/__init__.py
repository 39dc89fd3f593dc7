"""Everything LTI: tool configuration, login and launch validation, keys, platform calls."""
