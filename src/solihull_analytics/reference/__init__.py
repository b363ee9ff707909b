"""The Solihull commissioner's report (March 2023): its citation, its published figures and the
material the pages reconcile with them. Figures a page reproduces from published data are
compared with these, never copied into results."""
