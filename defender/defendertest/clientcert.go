package defendertest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// ClientCertificate is a throwaway self-signed certificate for an app
// registration's certificate credential: register Cert with WithCertificate,
// and hand Key (or PEM, as AZURE_CLIENT_CERTIFICATE_PATH holds it) to the
// client.
type ClientCertificate struct {
	// Cert is the parsed certificate.
	Cert *x509.Certificate
	// Key is its RSA private key.
	Key *rsa.PrivateKey
	// PEM holds the certificate then the PKCS#1 key, PEM-encoded.
	PEM []byte
}

// NewClientCertificate makes a self-signed 2048-bit RSA certificate valid
// from an hour ago to an hour from now.
func NewClientCertificate() (ClientCertificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return ClientCertificate{}, fmt.Errorf("defendertest: generating a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return ClientCertificate{}, fmt.Errorf("defendertest: drawing a serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "mdebot test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return ClientCertificate{}, fmt.Errorf("defendertest: signing the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return ClientCertificate{}, fmt.Errorf("defendertest: parsing the certificate: %w", err)
	}
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	return ClientCertificate{Cert: cert, Key: key, PEM: pemData}, nil
}
