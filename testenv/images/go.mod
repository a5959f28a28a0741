module berth.invalid/testenv/images

go 1.26.0

require golang.org/x/crypto v0.45.0
