"""The app's pages (one module each) and the widgets they share; no analysis here."""
