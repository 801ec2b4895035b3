// The API module's sources start here.
