package secret_test

import (
	"fmt"

	"github.com/mdebot/mdebot/secret"
)

// A Value prints as [redacted] however it is formatted or logged.
func ExampleValue() {
	uri := secret.New("https://userrequests-us.securitycenter.windows.com/safedownload/x.zip?token=abc")
	fmt.Println(uri)
	fmt.Printf("%#v %d %x\n", uri, uri, uri)
	fmt.Println(len(uri.Reveal()) > 0)
	// Output:
	// [redacted]
	// [redacted] [redacted] [redacted]
	// true
}
