// The one translation unit that compiles Asio, Asio-SSL and Beast (separate compilation).
// Everything else that uses them includes declarations only, which keeps rebuilds short.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
