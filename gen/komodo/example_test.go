package komodo_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/komodo-mcp/komodo-mcp/gen/komodo"
)

// exampleKomodo stands in for a Komodo Core in the example: it checks the credentials
// and answers three operations.
func exampleKomodo() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("x-api-key") != "my-key" || r.Header.Get("x-api-secret") != "my-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid api key","trace":[]}`)
			return
		}
		switch r.URL.Path {
		case "/read/ListServers":
			io.WriteString(w, `[{"id":"6740a1f3c2b9e84d1f0a0001","type":"Server","name":"prod-1","template":false,"tags":[],
				"info":{"state":"Ok","region":"eu-west","send_unreachable_alerts":true,"send_cpu_alerts":true,"send_mem_alerts":true,
				"send_disk_alerts":true,"send_version_mismatch_alerts":true,"terminals_disabled":false,"container_terminals_disabled":false,
				"alerting_thresholds":{"cpu_warning":80,"cpu_critical":95,"mem_warning":75,"mem_critical":95,"disk_warning":75,"disk_critical":95}}}]`)
		case "/read/GetDeployment":
			io.WriteString(w, `{"_id":{"$oid":"6740a1f3c2b9e84d1f0a0201"},"name":"api","config":null,"info":null}`)
		case "/execute/Deploy":
			io.WriteString(w, `{"_id":{"$oid":"6740a1f3c2b9e84d1f0a0901"},"operation":"Deploy","start_ts":1732450000000,"success":true,
				"operator":"admin","target":{"type":"Deployment","id":"6740a1f3c2b9e84d1f0a0201"},"logs":[],"status":"Queued"}`)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":"unknown operation","trace":[]}`)
		}
	}))
}

// Authenticate with an API key and secret, list servers, look up a deployment by name and
// deploy it. Use komodo.WithJWT(token) instead of WithAPIKey for a JWT.
func Example() {
	core := exampleKomodo() // your Komodo, e.g. "https://komodo.example.com"
	defer core.Close()
	ctx := context.Background()

	client, err := komodo.NewClientWithResponses(core.URL, komodo.WithAPIKey("my-key", "my-secret"))
	if err != nil {
		log.Fatal(err)
	}

	servers, err := client.ListServersWithResponse(ctx, komodo.ListServers{})
	if err != nil { // no answer, or a 200 that is not the promised JSON
		log.Fatalf("list servers: %v", err)
	}
	if servers.JSON200 == nil { // Komodo's {"error", "trace"} (JSONDefault), or a proxy's page
		log.Fatalf("list servers: HTTP %d: %.200s", servers.StatusCode(), servers.Body)
	}
	for _, s := range *servers.JSON200 {
		fmt.Println(s.Name, s.Info.State)
	}

	dep, err := client.GetDeploymentWithResponse(ctx, komodo.GetDeployment{Deployment: "api"})
	if err != nil {
		log.Fatalf("get deployment: %v", err)
	}
	if dep.JSON200 == nil || dep.JSON200.UnderscoreId == nil {
		log.Fatalf("get deployment: HTTP %d: %.200s", dep.StatusCode(), dep.Body)
	}
	fmt.Println("deployment", dep.JSON200.UnderscoreId.Oid)

	update, err := client.DeployWithResponse(ctx, komodo.Deploy{Deployment: dep.JSON200.Name})
	if err != nil {
		log.Fatal(err)
	}
	if update.JSON200 == nil {
		if update.JSONDefault != nil { // Komodo's own {"error", "trace"}
			log.Fatalf("deploy: %s", update.JSONDefault.Error)
		}
		log.Fatalf("deploy: HTTP %d: %.200s", update.StatusCode(), update.Body)
	}
	fmt.Println(update.JSON200.Operation, update.JSON200.Status)
	// Output:
	// prod-1 Ok
	// deployment 6740a1f3c2b9e84d1f0a0201
	// Deploy Queued
}
