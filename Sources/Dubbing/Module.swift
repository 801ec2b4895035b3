// The Dubbing module's sources start here.
