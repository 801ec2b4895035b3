// The Database module's sources start here.
