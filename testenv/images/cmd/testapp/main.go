// testapp is the app berth's end-to-end tests deploy on the real node. It behaves like a Dokku
// app whose image has ENTRYPOINT ["/usr/local/bin/testapp"] and CMD ["web"], so a Procfile line
// `worker: worker` runs `testapp worker`. The contract (tests rely on it exactly):
//
//	testapp [web|<name>]  serve HTTP on $PORT (default 5000) after $STARTUP_DELAY seconds:
//	                      GET /        200 "process=<name> version=<v> release=<r> message=<m> pod=<host>"
//	                      GET /health  200, or 503 while /tmp/unhealthy exists
//	                      any other path 404
//	                      one log line per request on stdout; on SIGTERM /health answers 503
//	                      (readiness fails, so endpoints drop the pod) while it keeps serving for
//	                      $SHUTDOWN_DELAY seconds (default 5), then finishes in-flight requests
//	testapp worker        logs "worker tick N" every second
//	testapp task CODE TXT prints TXT and exits with CODE
//	testapp crash         prints a line and exits 1 at once
//	testapp <program> ... when <program> is found in $PATH (e.g. `sh`, `ls`), runs it, as an
//	                      entrypoint script's `exec "$@"` would
//
// version comes from $TESTAPP_VERSION (set in the image config: tags :1 and :2 differ only there),
// release from $BERTH_TEST_RELEASE and message from $BERTH_TEST_MESSAGE.
//
// The same binary is also the builder-specific entry points, chosen by the name it is run as:
// `/start <process>` (herokuish: serves as <process>), `/exec <cmd> ...` (herokuish one-offs) and
// `launcher <cmd> ...` (Cloud Native Buildpacks) run their arguments as testapp would.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	switch filepath.Base(os.Args[0]) {
	case "start":
		// herokuish: `/start web` serves the Procfile's web process.
		if len(args) == 0 {
			args = []string{"web"}
		}
	case "exec", "launcher":
		// herokuish `/exec CMD...` and CNB `launcher CMD...`: run CMD; `testapp X` runs as testapp.
		if len(args) > 0 && filepath.Base(args[0]) == "testapp" {
			args = args[1:]
		}
	}
	os.Exit(run(args))
}

func run(args []string) int {
	name := "web"
	if len(args) > 0 {
		name = args[0]
	}
	switch name {
	case "worker":
		return worker()
	case "task":
		return task(args[1:])
	case "crash":
		fmt.Println("testapp: crashing on purpose (exit 1)")
		return 1
	}
	if name != "web" {
		if path, err := exec.LookPath(name); err == nil && !strings.HasSuffix(path, "/testapp") {
			return runProgram(path, args)
		}
	}
	return serve(name)
}

func worker() int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(time.Second)
	for n := 1; ; n++ {
		fmt.Printf("testapp: worker tick %d version=%s\n", n, os.Getenv("TESTAPP_VERSION"))
		select {
		case <-tick.C:
		case <-stop:
			fmt.Println("testapp: worker stopping")
			return 0
		}
	}
}

func task(args []string) int {
	code := 0
	if len(args) > 0 {
		c, err := strconv.Atoi(args[0])
		if err != nil {
			fmt.Fprintf(os.Stderr, "testapp: task exit code %q is not a number\n", args[0])
			return 2
		}
		code = c
		args = args[1:]
	}
	fmt.Println(strings.Join(args, " "))
	return code
}

func runProgram(path string, args []string) int {
	cmd := exec.Command(path, args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "testapp: %v\n", err)
		return 127
	}
	return 0
}

func envSeconds(name string, fallback float64) time.Duration {
	value := os.Getenv(name)
	if value == "" {
		return time.Duration(fallback * float64(time.Second))
	}
	secs, err := strconv.ParseFloat(value, 64)
	if err != nil || secs < 0 {
		fmt.Fprintf(os.Stderr, "testapp: %s=%q is not a number of seconds; using %v\n", name, value, fallback)
		secs = fallback
	}
	return time.Duration(secs * float64(time.Second))
}

func serve(process string) int {
	port := os.Getenv("PORT")
	if port == "" {
		port = "5000"
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if delay := envSeconds("STARTUP_DELAY", 0); delay > 0 {
		fmt.Printf("testapp: %s waiting %v before listening (STARTUP_DELAY)\n", process, delay)
		select {
		case <-time.After(delay):
		case <-stop:
			return 0
		}
	}
	host, _ := os.Hostname()
	var stopping atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat("/tmp/unhealthy"); err == nil || stopping.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "unhealthy")
			logRequest(r, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
		logRequest(r, http.StatusOK)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			logRequest(r, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, "process=%s version=%s release=%s message=%s pod=%s\n", process,
			os.Getenv("TESTAPP_VERSION"), os.Getenv("BERTH_TEST_RELEASE"), os.Getenv("BERTH_TEST_MESSAGE"), host)
		logRequest(r, http.StatusOK)
	})
	server := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	failed := make(chan error, 1)
	go func() { failed <- server.ListenAndServe() }()
	fmt.Printf("testapp: %s listening on :%s version=%s\n", process, port, os.Getenv("TESTAPP_VERSION"))
	select {
	case err := <-failed:
		fmt.Fprintf(os.Stderr, "testapp: %v\n", err)
		return 1
	case <-stop:
	}
	// Keep answering while the endpoint removal reaches the ingress, as a well-behaved app does.
	stopping.Store(true)
	drain := envSeconds("SHUTDOWN_DELAY", 5)
	fmt.Printf("testapp: SIGTERM, serving %v more, then stopping\n", drain)
	time.Sleep(drain)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
	fmt.Println("testapp: stopped")
	return 0
}

func logRequest(r *http.Request, status int) {
	fmt.Printf("testapp: %s %s %d host=%s from=%s\n", r.Method, r.URL.Path, status, r.Host, r.RemoteAddr)
}
