"""The command side: validation, business rules, write models, the command inbox, accounts."""
