/**
 * Built-in SQLi fingerprints (upper case). Written for Portcullis: the fingerprints of a
 * hand-made corpus of classic injection payloads (tautologies, UNION, stacked queries, time
 * delays, error-based functions) in their natural quoting context, plus the fingerprints the
 * published libinjection unit cases expect. Far smaller than the reference list; a deployment
 * that needs reference behaviour loads the published data file (see index.ts useSqliData).
 */
const LIST = `
  );KNC 1&(1) 1&(E( 1&(E1 1&(EF 1&(EO 1&1 1&1B1 1&1C 1&1O( 1&1OF 1&1UE 1&E1 1&F() 1&F(1
  1&F(E 1&F(F 1&F(S 1&SOS 1&V 1)&(1 1)&(E 1);TV 1)UE1 1,(E1 1,F(1 1;EF( 1;EOK 1;KNC 1;T(S
  1;TC 1;TF( 1;TSC 1B() 1B1 1B1B1 1B1C 1BF(1 1C 1KS 1O(E( 1O(E1 1OF(1 1OS&1 1TNS 1TS 1TV(1
  1U 1U(E1 1UE1 1UE1K 1UEF( 1UENK 1UEOK 1UEV 1UEVC ;KN E(1)( E(F(1 E1 E1) E1K(E EF() EF(1)
  EF(1, EF(F( EF(S) EKK1K ENE(1 ENKN EOKN ES&(E F(1) F(1,F KNK1 KNKF( N);TV N)UEV NC NKS;C
  NUE1 S&(1) S&(E1 S&(EF S&(EO S&(KK S&1 S&1;C S&1B1 S&1C S&1O( S&1OF S&1UE S&F(1 S&F(E
  S&F(F S&F(S S&K(1 S&S S&SOS S&VC S(EF( S)&(E S)&(S S);TS S);TV S)TSC S)UE1 S)UEV S;EF(
  S;KNC S;TC S;TF( S;TNS S;TSC S;TV( SB(F( SB1C SC SF(1) SF(1N SKS SKS;C SO(E1 SO1&1 SOF(1
  SOS STSC SUE1 SUE1C SUE1K SUEF( SUEOK SUEVC SUEVK SUEVO X
`;

export const BUILTIN_FINGERPRINTS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter(Boolean));
