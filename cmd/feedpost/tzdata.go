package main

// The time zone database goes into the binary (about 450 KB): site.timezone
// names an IANA zone, and neither the container image (FROM scratch) nor a
// Windows machine has one on disk.
import _ "time/tzdata"
