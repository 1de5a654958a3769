# bench/scaling.gp: the chart bench/scaling.sh draws from <sweep>-<server>.dat
# (x, QPS, p99 in us, one row per point). Call with
#   gnuplot -e "dir='results/<time>-scaling'; servers='crpc limit'" bench/scaling.gp
set terminal pngcairo size 1500,900 font ",10"
set output dir."/scaling.png"
set multiplot layout 2,3 title "crpc.bench scaling (h2load, 16 B unary calls)"
set key top left
set grid
set style data linespoints
set datafile missing "0"
sweeps = "threads streams conns"
xlabels = "'server I/O threads (4 conns x 100 streams)' 'streams on 1 connection' 'connections x 1 stream'"
do for [i=1:3] {
  s = word(sweeps, i)
  set xlabel word(xlabels, i)
  if (s eq "threads") { unset logscale x; set xtics 1 } else { set logscale x 10; set xtics auto }
  set ylabel "QPS"
  set yrange [0:*] # from zero, so that a small difference looks small
  set title "QPS vs ".s
  plot for [n in servers] dir."/".s."-".n.".dat" using 1:2 title n
}
do for [i=1:3] {
  s = word(sweeps, i)
  set xlabel word(xlabels, i)
  if (s eq "threads") { unset logscale x; set xtics 1 } else { set logscale x 10; set xtics auto }
  set ylabel "p99 (us)"
  set yrange [0:*]
  set title "p99 latency vs ".s
  plot for [n in servers] dir."/".s."-".n.".dat" using 1:3 title n
}
unset multiplot
