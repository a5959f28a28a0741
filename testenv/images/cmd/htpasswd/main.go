// htpasswd prints an htpasswd line (bcrypt, the only hash the distribution registry accepts) for
// USER with the password read from PASSWORD-FILE, so the password never appears in argv.
//
//	htpasswd USER PASSWORD-FILE
package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: htpasswd USER PASSWORD-FILE")
		os.Exit(2)
	}
	password, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "htpasswd: %v\n", err)
		os.Exit(1)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimSpace(string(password))), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintf(os.Stderr, "htpasswd: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", os.Args[1], hash)
}
