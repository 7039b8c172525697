"""The numbers: the counting plan, indicator tables, survey design, numeric questions, protection and reconciliation."""
