// The etcd server command for 3.5, whose server module has no main package (3.6+ does).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
