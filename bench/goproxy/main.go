// A reverse proxy in front of one app, built on Go's standard library only: net/http/httputil.ReverseProxy is the
// forwarder the Go sandbox proxies of our competitors are built on. The bench measures preview links against it.
// Usage: goproxy LISTEN_ADDRESS UPSTREAM_URL
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	upstream, err := url.Parse(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	// The default keeps 2 idle connections per host, which would measure connection churn rather than forwarding;
	// nginx in the same table keeps 64.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	proxy.Transport = transport
	log.Fatal(http.ListenAndServe(os.Args[1], proxy))
}
