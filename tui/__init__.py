"""The kratix-lab SRE dashboard (Textual). A front end: all platform logic lives in kratix_lab."""
