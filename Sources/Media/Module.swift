// The Media module's sources start here.
