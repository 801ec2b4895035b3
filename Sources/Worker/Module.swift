// The Worker module's sources start here.
