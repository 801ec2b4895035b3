// The Queue module's sources start here.
