
5 spans refused