// imgpush packs files from this machine into a one-layer OCI image and pushes it to a registry
// over the distribution HTTP API (blob uploads, then the manifest), so the real test node pulls
// images the way a real cluster does, without any registry outside this machine. The layer is
// reproducible (sorted entries, zero mtimes, no gzip header time): pushing twice is a no-op.
//
//	imgpush -registry http://127.0.0.1:5000 -image testapp:1 [-user U -password-file F]
//	        [-entrypoint /usr/local/bin/testapp] [-cmd web] [-env K=V]...
//	        -file /in/image=/on/host[:mode]... [-link /in/image=target]...
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

func main() {
	registry := flag.String("registry", "", "registry base URL, e.g. http://127.0.0.1:5000")
	image := flag.String("image", "", "repository:tag")
	user := flag.String("user", "", "basic-auth user")
	passwordFile := flag.String("password-file", "", "file holding the basic-auth password")
	var entrypoint, cmd, env, files, links list
	flag.Var(&entrypoint, "entrypoint", "ENTRYPOINT element (repeat)")
	flag.Var(&cmd, "cmd", "CMD element (repeat)")
	flag.Var(&env, "env", "K=V (repeat)")
	flag.Var(&files, "file", "/path/in/image=/path/on/host[:octal mode] (repeat)")
	flag.Var(&links, "link", "/path/in/image=symlink target (repeat)")
	flag.Parse()
	if *registry == "" || !strings.Contains(*image, ":") || len(files) == 0 {
		fail("usage: imgpush -registry URL -image repo:tag -file /in/image=/on/host ...")
	}
	password := ""
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			fail("%v", err)
		}
		password = strings.TrimSpace(string(b))
	}
	repo, tag, _ := strings.Cut(*image, ":")

	layer, diffID := buildLayer(files, links)
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Entrypoint": nonNil(entrypoint),
			"Cmd":        nonNil(cmd),
			"Env":        append([]string{"PATH=/usr/local/bin:/usr/bin:/bin:/cnb/lifecycle"}, env...),
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	}
	if len(entrypoint) == 0 {
		delete(config["config"].(map[string]any), "Entrypoint")
	}
	configJSON, _ := json.Marshal(config)

	p := pusher{base: strings.TrimRight(*registry, "/"), repo: repo, user: *user, password: password}
	layerDesc := p.blob(layer, "application/vnd.oci.image.layer.v1.tar+gzip")
	configDesc := p.blob(configJSON, "application/vnd.oci.image.config.v1+json")
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        configDesc,
		"layers":        []descriptor{layerDesc},
	})
	p.do("PUT", p.base+"/v2/"+repo+"/manifests/"+tag, manifest, "application/vnd.oci.image.manifest.v1+json", http.StatusCreated)
	fmt.Printf("imgpush: %s/%s:%s %s\n", strings.TrimPrefix(strings.TrimPrefix(p.base, "http://"), "https://"), repo, tag, digest(manifest))
}

func nonNil(l list) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imgpush: "+format+"\n", args...)
	os.Exit(1)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// buildLayer returns the gzipped layer and the digest of its uncompressed tar (the diff ID).
func buildLayer(files, links list) ([]byte, string) {
	type entry struct {
		name, host, target string
		mode               int64
	}
	var entries []entry
	dirs := map[string]bool{}
	addDirs := func(p string) {
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for _, f := range files {
		in, host, ok := strings.Cut(f, "=")
		if !ok || !strings.HasPrefix(in, "/") {
			fail("-file %q: want /path/in/image=/path/on/host[:mode]", f)
		}
		mode := int64(0o644)
		if i := strings.LastIndex(host, ":"); i > 0 {
			m, err := strconv.ParseInt(host[i+1:], 8, 64)
			if err != nil {
				fail("-file %q: mode %q is not octal", f, host[i+1:])
			}
			mode, host = m, host[:i]
		}
		entries = append(entries, entry{name: in, host: host, mode: mode})
		addDirs(in)
	}
	for _, l := range links {
		in, target, ok := strings.Cut(l, "=")
		if !ok || !strings.HasPrefix(in, "/") {
			fail("-link %q: want /path/in/image=target", l)
		}
		entries = append(entries, entry{name: in, target: target})
		addDirs(in)
	}
	dirs["/tmp"] = true
	for d := range dirs {
		entries = append(entries, entry{name: d, mode: -1})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		name := strings.TrimPrefix(e.name, "/")
		var err error
		switch {
		case e.mode == -1:
			mode := int64(0o755)
			if e.name == "/tmp" {
				mode = 0o1777
			}
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Format: tar.FormatPAX})
		case e.target != "":
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: e.target, Mode: 0o777, Format: tar.FormatPAX})
		default:
			var body []byte
			body, err = os.ReadFile(e.host)
			if err != nil {
				fail("%v", err)
			}
			if err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: e.mode, Size: int64(len(body)), Format: tar.FormatPAX}); err == nil {
				_, err = tw.Write(body)
			}
		}
		if err != nil {
			fail("writing %s: %v", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		fail("%v", err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		fail("%v", err)
	}
	if err := zw.Close(); err != nil {
		fail("%v", err)
	}
	return gz.Bytes(), digest(raw.Bytes())
}

type pusher struct {
	base, repo, user, password string
}

func (p pusher) do(method, target string, body []byte, contentType string, want int) *http.Response {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		fail("%v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if p.user != "" {
		req.SetBasicAuth(p.user, p.password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	if want != 0 && resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		fail("%s %s: HTTP %d (want %d): %s", method, target, resp.StatusCode, want, msg)
	}
	return resp
}

// blob uploads b unless the registry has it already, and returns its descriptor.
func (p pusher) blob(b []byte, mediaType string) descriptor {
	d := descriptor{MediaType: mediaType, Digest: digest(b), Size: len(b)}
	if resp := p.do("HEAD", p.base+"/v2/"+p.repo+"/blobs/"+d.Digest, nil, "", 0); resp.StatusCode == http.StatusOK {
		return d
	}
	resp := p.do("POST", p.base+"/v2/"+p.repo+"/blobs/uploads/", nil, "", http.StatusAccepted)
	location, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		fail("upload location: %v", err)
	}
	base, _ := url.Parse(p.base)
	location = base.ResolveReference(location)
	q := location.Query()
	q.Set("digest", d.Digest)
	location.RawQuery = q.Encode()
	p.do("PUT", location.String(), b, "application/octet-stream", http.StatusCreated)
	return d
}
