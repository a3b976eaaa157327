"""The observatory: the numbers a committee decides on."""
