"""The service layer: one function per user action, each in one transaction, plain data in and out."""
