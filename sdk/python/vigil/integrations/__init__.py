"""Framework integrations: each translates a framework's own callback or hook surface into Vigil
events of the current execution. Importing :mod:`vigil` never imports a framework; each module here
works with duck-typed objects, so it needs its framework only at the call sites that use it."""
