"""ISO 4217 currencies and exact, half-up rounding to a currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

# Active ISO 4217 codes (list one) that have a minor unit, with that unit. Codes whose minor
# unit is "N.A." are not money and are left out on purpose: XXX (no currency), XTS (testing),
# the metals XAU, XAG, XPD, XPT, the bond-market units XBA-XBD, XDR, XSU and XUA.
# Withdrawn codes are absent too: ANG (replaced by XCG in 2025), BGN (Bulgaria joined the
# euro in 2026), HRK, SLL, ZWL, CUC.
_BY_MINOR_UNIT = {
    2: """AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN
          BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD
          FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW
          KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR
          MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG
          SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD
          USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG""",
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
MINOR_UNITS: dict[str, int] = {
    code: unit for unit, codes in _BY_MINOR_UNIT.items() for code in codes.split()
}


def is_currency(code: str) -> bool:
    """True for an active ISO 4217 currency code (upper case, as in the standard)."""
    return code in MINOR_UNITS


# Wide enough that products of stored values and rates are exact, so the only rounding is the
# explicit half-up one to the minor unit.
_EXACT = Context(prec=100)


def round_to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit: 3.525 USD -> 3.53, 380.5 JPY -> 381."""
    unit = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return amount.quantize(unit, rounding=ROUND_HALF_UP, context=_EXACT)


def convert(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """``amount x rate``, computed exactly, rounded half-up to ``currency``'s minor unit."""
    return round_to_minor_unit(_EXACT.multiply(amount, rate), currency)
