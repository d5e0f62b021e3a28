"""Inventories: hosts, nested groups, variables, tags, contacts; and selectors over them."""
