// modzipref is the Go reference for module zips in tests and benchmarks: it uses
// golang.org/x/mod/zip.CreateFromDir and dirhash.HashZip exactly as the go command does.
//
//	modzipref create <module> <version> <dir> <out.zip>   prints h1 of the created zip
//	modzipref hash <zip>                                   prints h1 of an existing zip
package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: modzipref create|hash ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "create":
		if len(os.Args) != 6 {
			fmt.Fprintln(os.Stderr, "usage: modzipref create <module> <version> <dir> <out.zip>")
			os.Exit(2)
		}
		f, err := os.Create(os.Args[5])
		if err != nil {
			fail(err)
		}
		m := module.Version{Path: os.Args[2], Version: os.Args[3]}
		if err := modzip.CreateFromDir(f, m, os.Args[4]); err != nil {
			f.Close()
			os.Remove(os.Args[5])
			fail(err)
		}
		if err := f.Close(); err != nil {
			fail(err)
		}
		printHash(os.Args[5])
	case "hash":
		printHash(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

func printHash(zip string) {
	h, err := dirhash.HashZip(zip, dirhash.Hash1)
	if err != nil {
		fail(err)
	}
	fmt.Println(h)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
