// Command athensext speaks to an external storage service the way Athens' "external" storage
// client does (gomods/athens pkg/storage/external/client.go): module path escaped with
// x/mod's module.EscapePath, version as is, .save as a streamed multipart body of three form
// files mod.info, mod.mod, mod.zip written by Go's mime/multipart, no credentials.
//
//	athensext save   URL MODULE VERSION INFO MOD ZIP   -> prints the status code
//	athensext get    URL MODULE VERSION EXT            -> body on stdout (EXT: info|mod|zip; VERSION "" with EXT list)
//	athensext delete URL MODULE VERSION                -> prints the status code
package main

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"

	"golang.org/x/mod/module"
)

func main() {
	if len(os.Args) < 5 {
		fail("usage: athensext save|get|delete URL MODULE VERSION ...")
	}
	base := strings.TrimSuffix(os.Args[2], "/")
	mod, err := module.EscapePath(os.Args[3])
	if err != nil {
		fail(err.Error())
	}
	ver := os.Args[4]
	switch os.Args[1] {
	case "save":
		save(base+"/"+mod+"/@v/"+ver+".save", os.Args[5], os.Args[6], os.Args[7])
	case "get":
		url := base + "/" + mod + "/@v/" + ver + "." + os.Args[5]
		if os.Args[5] == "list" {
			url = base + "/" + mod + "/@v/list"
		}
		resp, err := http.Get(url)
		if err != nil {
			fail(err.Error())
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			fail(fmt.Sprintf("%d %s", resp.StatusCode, b))
		}
		io.Copy(os.Stdout, resp.Body)
	case "delete":
		req, _ := http.NewRequest(http.MethodDelete, base+"/"+mod+"/@v/"+ver+".delete", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fail(err.Error())
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	default:
		fail("unknown command " + os.Args[1])
	}
}

func save(url, infoPath, modPath, zipPath string) {
	info, _ := os.ReadFile(infoPath)
	modFile, _ := os.ReadFile(modPath)
	zip, err := os.Open(zipPath)
	if err != nil {
		fail(err.Error())
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			defer mw.Close()
			for _, p := range []struct {
				name string
				r    io.Reader
			}{{"mod.info", strings.NewReader(string(info))}, {"mod.mod", strings.NewReader(string(modFile))}, {"mod.zip", zip}} {
				w, err := mw.CreateFormFile(p.name, p.name)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, p.r); err != nil {
					return err
				}
			}
			return nil
		}()
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest(http.MethodPost, url, pr)
	req.Header.Add("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s\n", resp.StatusCode, strings.TrimSpace(string(b)))
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}
