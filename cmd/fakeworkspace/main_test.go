package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestRunPrintsTheStartupLineThenServesUntilCancelled runs the command's
// body in-process as a test of the process would see it: one JSON line on
// stdout, then a workspace with control endpoints, then a clean exit.
func TestRunPrintsTheStartupLineThenServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-page-size", "1", "-empty-pages"}, stdoutW, io.Discard)
		_ = stdoutW.Close()
	}()

	line, err := bufio.NewReader(stdoutR).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info fakeworkspace.StartupInfo
	if err := json.Unmarshal(line, &info); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if !strings.HasPrefix(info.URL, "http://127.0.0.1:") || info.ServicePrincipal.ClientID == "" || info.ServicePrincipal.ClientSecret == "" ||
		len(info.Users) != 2 || info.Users[0].UserName != fakeworkspace.Alice || info.Users[0].Token == "" {
		t.Fatalf("startup line %s", line)
	}

	// The printed token works, the page size flag applies, and the control
	// endpoints answer.
	get := func(path, token string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", info.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	status, page := get("/api/2.1/unity-catalog/catalogs", info.Users[0].Token)
	if status != 200 || len(page["catalogs"].([]any)) != 1 || page["next_page_token"] == nil {
		t.Errorf("first page %d %v", status, page)
	}
	resp, err := http.Post(info.URL+"/_fake/faults", "application/json", bytes.NewReader([]byte(`{"path":"/api/2.0/preview/scim/v2/Me","status":503}`)))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("inject fault: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, _ := get("/api/2.0/preview/scim/v2/Me", info.Users[1].Token); status != 503 {
		t.Errorf("Me with the fault: %d", status)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
	if _, err := http.Get(info.URL + "/.well-known/databricks-config"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-addr", "256.0.0.1:0"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}
