package crypthash

import "testing"

// The hashes were made with libxcrypt 4.4.33 (Debian 12's libcrypt1):
// crypt("secret-pw1", crypt_gensalt(prefix)) for each prefix; the DES
// one is the form of `openssl passwd -crypt` (OpenSSL 1.x), which the
// oVirt Node documentation used for adminpw=.
func TestIdentifyLibxcryptHashes(t *testing.T) {
	for _, tc := range []struct {
		hash, name string
		weak       bool
	}{
		{"$y$j9T$wq5v6RURlxw3GiBQgJFD40$7WhdvHiGyPMTiltNdTWXhoX.uMHCU0r5JkyxfFhI/gA", "yescrypt", false},
		{"$gy$j9T$SKEUWycvPThfdgzMuibWH1$Wd73vU0HXkkxdxPwLHkyqqvgXWimb4/yQrK3ft8tiS4", "gost-yescrypt", false},
		{"$7$CU..../.....5aBYGUKVQOPAgGuu8xcX/$Cy6zLir2py0rrTWjVa7dKNwqruWuMNHLf76zui7IU.1", "scrypt", false},
		{"$2b$05$6DTA7N4SMXPLeQqqQgitWO.M0fk3uz.iAyhFV31DQixhrEagRqy3u", "bcrypt", false},
		{"$2a$05$pAzErYpTI2elKLOurqQ3WO4rryplEc2TZp5EVbjp1IZjg04bFC.la", "bcrypt", false},
		{"$2y$05$BSxUKLmtlgDYzwDLMxltMu3Hjm6vDxHo6V5yZm6mOt/XJ5r5d9ZbO", "bcrypt", false},
		{"$2x$05$BSxUKLmtlgDYzwDLMxltMu3Hjm6vDxHo6V5yZm6mOt/XJ5r5d9ZbO", "bcrypt_x", true},
		{"$6$SokjspVDrMJvE8Nd$XG.nzaEmBurOIXy8RjupJVJfWUc4vqOYtIpdANPq/5/PQ5Gdb4KAdwIucDcP4/Oo/yuRglu.5yhpuqDp7zpyi.", "sha512crypt", false},
		{"$6$rounds=5000$saltsalt$8RWsOfwR6M6PpnoeQiEiWzNTPo1f0HjVYjDnLZhGx16aBFRkeqiHAzfXP/LgrOWMBMXqiU2pLrXsSOHNUyUm91", "sha512crypt", false},
		{"$5$yksW7/iWleKrOCu9$2x1t5iba6HugD7D.E0XXhSBVTLAdoyy3KeoSMEruGP3", "sha256crypt", false},
		{"$sha1$207481$UzSpOKFCw7nC0hFvsb9H$lgVtdDO26lpZv/CbiXOIYTtOaXKD", "sha1crypt", true},
		{"$md5,rounds=54459$1TceBeE9$$mUdI52YMTRhFXIewai.7V.", "sunmd5", true},
		{"$md5$abcdefgh$$Vnp9PhHCmIcKm6Q6oZ0rv/", "sunmd5", true},
		{"$1$JcNl3bq6$yDZH1t/B9UE9A8GmpxXfU.", "md5crypt", true},
		{"$1$a-b$VOnyXiivSV0FGGMINaxys0", "md5crypt", true},
		{"$3$$ad31e1827d17dc21e2531060d095a863", "nt", true},
		{"_J9..ed3K9oWIEFk.w3E", "bsdicrypt", true},
		{"gyr3afrd0muoQ", "descrypt", true},
		{"abiQ6Ep3EYTHc", "descrypt", true},
		{"abD6HAB6eqg.k1bkkC3ekmn6UD6pE4DExbM", "bigcrypt", true},
	} {
		s, ok := Identify(tc.hash)
		if !ok || s.Name != tc.name || s.Weak != tc.weak {
			t.Errorf("Identify(%q) = %+v, %v; want %s weak=%v", tc.hash, s, ok, tc.name, tc.weak)
		}
	}
}

// Values libxcrypt refuses (crypt returns "*0"), plain-text passwords
// and shadow placeholders are not hashes.
func TestIdentifyRefusesNonHashes(t *testing.T) {
	for _, s := range []string{
		"", "!", "*", "!!", "x", "secret", "Passw0rd!", "correct horse battery staple",
		"abiQ6Ep3EYTHd",  // DES with an impossible last character
		"abiQ6Ep3EYTH",   // 12 characters
		"abiQ6Ep3EYTHc!", // not crypt's alphabet
		"$6$", "$6$salt$", "$6$salt$short",
		"$6$rounds=999$ab$PjG1Vkf5LHNL84dByLtuSYjVz6Hy575FC7tz8wX4DtJ2WMsZQu0/miZCNEiAa8uwa8QG5xPQJgcyUioQ0Ac/G/",
		"$6$sa lt$XG.nzaEmBurOIXy8RjupJVJfWUc4vqOYtIpdANPq/5/PQ5Gdb4KAdwIucDcP4/Oo/yuRglu.5yhpuqDp7zpyi.",
		"$1$a:b$VOnyXiivSV0FGGMINaxys0",
		"$2b$03$6DTA7N4SMXPLeQqqQgitWO.M0fk3uz.iAyhFV31DQixhrEagRqy3u", // cost below 4
		"$2b$05$6DTA7N4SMXPLeQqqQgitWO.M0fk3uz.iAyhFV31DQixhrEagRqy3",  // one short
		"$y$j9T$wq5v6RURlxw3GiBQgJFD40$7WhdvHiGyPMTiltNdTWXhoX.uMHCU0r5JkyxfFhI/g",
		"$3$$AD31E1827D17DC21E2531060D095A863",
		"$9$abc$def",
		" $1$JcNl3bq6$yDZH1t/B9UE9A8GmpxXfU.",
		"$1$JcNl3bq6$yDZH1t/B9UE9A8GmpxXfU.\n",
	} {
		if sc, ok := Identify(s); ok {
			t.Errorf("Identify(%q) = %s, want not a hash", s, sc.Name)
		}
	}
}
